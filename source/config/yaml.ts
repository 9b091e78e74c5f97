// The YAML parser on its own, for a dynamic import: loaded only once a kubeadm manifest was found.
export {parse as parseYaml} from 'yaml';
