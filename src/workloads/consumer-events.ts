// The narrow ports the workload features use to report: an Event on an ExternalSecret, a log
// line, and counters. The composition (controller) plugs in the EventRecorder, the logger and
// Prometheus.

export interface ConsumerEvents {
  /** An Event on ExternalSecret `namespace/name`; best effort. */
  record(namespace: string, externalSecret: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ConsumerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
