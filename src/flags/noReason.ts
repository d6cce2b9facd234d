/**
 * Recorded when `flags set` is given no --reason, so the audit log says so rather than staying blank.
 * A module of its own: `flags set --help` shows it without loading the plan schema.
 */
export const NO_REASON = 'no reason given';
