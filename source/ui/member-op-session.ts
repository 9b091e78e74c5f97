import {reduceTyped, startTyped, type TypedConfirmation, type TypedInput} from '../model/typed-confirmation.js';
import {copyableLines} from '../ops/member-settings.js';
import {sharesUrl} from '../ops/member-urls.js';
import type {Effect, OperationPlan, OperationState} from '../ops/member-workflow.js';
import type {CommandLogEntry} from '../ops/runner.js';
import type {MemberActionId} from './keymap.js';
import type {MemberOpsBackend} from './member-ops.js';

export type SessionPhase = 'form' | 'running' | 'confirm' | 'finished';

export interface MemberOpSnapshot {
	readonly action: MemberActionId;
	/** The member the action is about (unset for add). */
	readonly memberKey: string | undefined;
	/** The member's name (else its ID) when the wizard opened: it stays the wizard's title once the member is removed. */
	readonly subject: string | undefined;
	readonly phase: SessionPhase;
	readonly state: OperationState | undefined;
	readonly log: readonly CommandLogEntry[];
	/** While `phase` is confirm: what the operator types, and what it allows. */
	readonly confirm: {readonly effect: Extract<Effect, {type: 'confirm'}>; readonly confirmation: TypedConfirmation} | undefined;
	/** What `w` last did: the file the settings went to, or why they could not be written. */
	readonly written: {readonly path: string} | {readonly error: string} | undefined;
}

/**
 * One member change from the console, from its form to its outcome. It lives outside the wizard's
 * component, so the operator can look at another pane (the log, the dashboard) while the change waits and
 * come back to it: the run, its state, its command log and the settings to copy stay here until the
 * wizard is closed.
 */
export class MemberOpSession {
	private snapshot: MemberOpSnapshot;
	private readonly listeners = new Set<() => void>();
	private readonly controller = new AbortController();
	private answer: ((isYes: boolean) => void) | undefined;
	private isStarted = false;

	constructor(
		action: MemberActionId,
		memberKey: string | undefined,
		subject: string | undefined,
		private readonly backend: MemberOpsBackend,
		private readonly writeFile: (lines: readonly string[], memberName: string) => string,
		/** A member this change added, by the name it was added under (the console shows it until etcd reports one). */
		private readonly onMemberNamed: (id: string, name: string) => void = () => undefined,
	) {
		const needsForm = action === 'replace-member' || action === 'add-member';
		this.snapshot = Object.freeze({action, memberKey, subject, phase: needsForm ? 'form' : 'running', state: undefined, log: [], confirm: undefined, written: undefined});
	}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	readonly getSnapshot = (): MemberOpSnapshot => this.snapshot;

	get waitTimeoutMs(): number {
		return this.backend.waitTimeoutMs;
	}

	get connection(): MemberOpsBackend['connection'] {
		return this.backend.connection;
	}

	get settingsContext(): MemberOpsBackend['settingsContext'] {
		return this.backend.settingsContext;
	}

	get hasStarted(): boolean {
		return this.isStarted;
	}

	private set(patch: Partial<MemberOpSnapshot>): void {
		this.snapshot = Object.freeze({...this.snapshot, ...patch});
		for (const listener of this.listeners) listener();
	}

	/** Runs the plan once; a second call (a key repeated while the first starts) does nothing. */
	start(plan: OperationPlan): void {
		if (this.isStarted) return;
		this.isStarted = true;
		this.set({phase: 'running'});
		void this.backend
			.run(plan, {
				signal: this.controller.signal,
				confirm: async effect =>
					new Promise<boolean>(resolve => {
						this.answer = resolve;
						this.set({phase: 'confirm', confirm: {effect, confirmation: startTyped(effect.expected)}});
					}),
				onState: state => {
					this.set({state});
					this.nameAdded(state);
				},
				onLog: entry => this.set({log: [...this.snapshot.log, entry]}),
			})
			.catch(error => {
				const {state} = this.snapshot;
				if (state) this.set({state: {...state, notes: [...state.notes, `failed: ${error instanceof Error ? error.message : String(error)}`]}});
			})
			.finally(() => this.set({phase: 'finished', confirm: undefined}));
	}

	private named = new Set<string>();

	/** The member this change added is listed without a name until it starts: it has the one it was added under. */
	private nameAdded(state: OperationState): void {
		const name = state.plan.newName;
		if (name === undefined || !state.observation) return;
		for (const member of state.observation.members) {
			if (member.name !== '' || this.named.has(member.id) || !sharesUrl(member.peerUrls, state.plan.newPeerUrls)) continue;
			this.named.add(member.id);
			this.onMemberNamed(member.id, name);
		}
	}

	/** One key of the typed confirmation; enter on anything but the name, or escape, cancels. */
	type(input: TypedInput): void {
		const {confirm} = this.snapshot;
		if (this.snapshot.phase !== 'confirm' || !confirm) return;
		const {state, outcome} = reduceTyped(confirm.confirmation, input);
		if (outcome === 'typing') return this.set({confirm: {...confirm, confirmation: state}});
		this.set({phase: 'running', confirm: undefined});
		const answer = this.answer;
		this.answer = undefined;
		answer?.(outcome === 'confirmed');
	}

	/** Stops before the next step; running the same action again resumes from where the cluster stands. */
	stop(): void {
		this.controller.abort();
		// A pending confirmation is a "no": nothing changes by it.
		const answer = this.answer;
		this.answer = undefined;
		answer?.(false);
	}

	/** What the operator must copy, as it stands (start settings, then the final --etcd-servers). */
	copyable(): readonly string[] {
		const {state} = this.snapshot;
		return state ? copyableLines(state, this.backend.settingsContext) : [];
	}

	/** `w`: the settings to a new 0600 file; the wizard says where (or why not). */
	writeSettings(): void {
		const lines = this.copyable();
		if (lines.length === 0) return this.set({written: {error: 'nothing to write yet: the settings exist once the member is added'}});
		try {
			this.set({written: {path: this.writeFile(lines, this.snapshot.state?.plan.newName ?? 'member')}});
		} catch (error) {
			this.set({written: {error: error instanceof Error ? error.message : String(error)}});
		}
	}
}
