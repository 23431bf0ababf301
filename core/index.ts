/**
 * The public API for plugin authors: `import { definePlugin, refuse, AuthorizeStage } from 'xinetd-ts'`.
 * Everything a plugin touches is typed here; nothing else of the core is part of the contract.
 */
export { definePlugin, type XinetdPlugin, type PluginFactory } from './plugin.js';
export type { Daemon } from './daemon.js';
export { AuthorizeStage, LimitStage, type BoundSocket, type DaemonHooks, type ReloadReport } from './hooks.js';
export { refuse, type Refusal, type RefusalCode, type Decision } from './refusal.js';
export {
  AttributeError,
  type AttributeKey,
  type AttributeSpec,
  type AttributeDoc,
  type Arity,
  type Where,
  type Inherit,
  type ParseContext,
  type FlagSpec,
} from './config/attributes.js';
export { DUMP_STAGE, shownElsewhere, type AttributeDump, type DumpContext } from './config/attribute-dump.js';
export type { Report } from './config/resolve.js';
export type { SourceLocation } from './config/raw.js';
export type { Connection, Endpoint, Datagram } from './connection.js';
export { peerText } from './connection.js';
export type { Session, SessionEnd } from './session.js';
export type { LogEvent, ServiceLogEvent, DaemonLevel } from './log-event.js';
export type { ServiceConfig, SocketType } from './service-config.js';
export type { LaunchSpec } from './launch-spec.js';
export { XinetdError, ErrorCodes, type ErrorCode } from './errors.js';
export {
  defineInternalService,
  replyAndClose,
  type InternalServiceSpec,
  type InternalContext,
  type StreamAnswer,
  type StreamHandler,
  type StreamServe,
} from '../internal-services/define.js';
export { answerAndClose } from './answer.js';
