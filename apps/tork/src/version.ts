/** The engine's version, reported by /health and at start-up. */
export const VERSION = '0.1.0';
