/** Reported by -version and in the startup message. */
export const VERSION = '0.1.0';
