// The YAML parser on its own, for a dynamic import: only a command that looks for a kubeadm manifest loads it.
export {parse as parseYaml} from 'yaml';
