/** Every error the daemon raises has a stable code; docs/errors.md lists them all. */
export const ErrorCodes = {
  XI_ERR_CONFIG_UNREADABLE: 'the main configuration file cannot be read',
  XI_ERR_ATTRIBUTE_DUPLICATE: 'two plugins define the same attribute or flag',
  XI_ERR_ATTRIBUTE_VALUE: 'an attribute value was rejected by its parser',
  XI_ERR_PLUGIN_NOT_FOUND: 'a configured plugin cannot be resolved',
  XI_ERR_PLUGIN_IMPORT: 'a plugin module was found but failed while being imported',
  XI_ERR_PLUGIN_SHAPE: 'a plugin module does not export a valid plugin',
  XI_ERR_PLUGIN_APPLY: 'a plugin threw while being made or applied, or declared an attribute wrongly',
  XI_ERR_PLUGIN_DEPENDENCY: 'a plugin depends on a plugin that is not loaded',
  XI_ERR_PLUGIN_DUPLICATE: 'two plugins share a name',
  XI_ERR_PLUGINS_CHANGED: 'a reload changed the plugin list (restart required)',
  XI_ERR_HOOK: 'a plugin threw inside a per-connection hook',
  XI_ERR_NO_LAUNCHER: 'no launcher claimed an admitted connection',
  XI_ERR_LAUNCHER: 'the server launcher failed',
  XI_ERR_BIND: 'a listening socket could not be created',
  XI_ERR_INTERNAL_SERVICE_DUPLICATE: 'two internal services share a name and socket type',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class XinetdError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'XinetdError';
  }
}
