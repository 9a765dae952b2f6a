/**
 * Internal: the JSON the monitor executable (`crates/youki-monitor`) takes and reports — its one
 * argument (`MonitorConfig`, serde's `records::MonitorConfig` in `crates/youki-shared`) and its report
 * line on fd 3. Written down in `docs/monitor-contract.md`.
 *
 * @internal
 * @module binding/monitor-protocol
 */

/** Where a container stdio stream goes, as the monitor takes it. @internal */
export type MonitorStdio =
  | { kind: 'inherit' }
  | { kind: 'null' }
  | { kind: 'file'; path: string; append?: boolean }
  | { kind: 'log' };

/** The monitor's one argument (JSON). @internal */
export interface MonitorConfig {
  id: string;
  stateRoot: string;
  bundle: string;
  rootfs: string;
  rootfsMounts: { type: string; source: string; options: string[] }[];
  stopSignal?: string;
  systemd: boolean;
  stdin: MonitorStdio;
  stdout: MonitorStdio;
  stderr: MonitorStdio;
}

/** The monitor's report line on fd 3. @internal */
export type MonitorReport = { ok: true; pid: number } | { ok: false; code: string; message: string };
