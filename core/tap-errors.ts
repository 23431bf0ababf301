import { XinetdError } from './errors.js';

/** tapable's tap record as a `register` interceptor sees it. */
interface Tap {
  readonly name: string;
  readonly type: 'sync' | 'async' | 'promise';
  fn: Function;
}

type Callback = (error?: unknown, result?: unknown) => void;

/** What a plugin threw, with its tap's name appended (`XI_ERR_HOOK`), unless it is named already. */
export function tapError(tap: string, thrown: unknown): XinetdError {
  if (thrown instanceof XinetdError && thrown.code === 'XI_ERR_HOOK') return thrown;
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  return new XinetdError('XI_ERR_HOOK', `${text} (plugin ${tap})`, { cause: thrown });
}

/**
 * The pipeline logs a failing stage as `ID: STAGE failed: ...`; tapable does not say which tap
 * threw, so every tap of a per-connection hook is wrapped, once at registration, to put its
 * name (the plugin's) in the error. A sync tap costs one more call; an async one a closure; a
 * promise one a `then`.
 */
export function nameTapErrors(hook: { intercept(interceptor: { register(tap: Tap): Tap }): void }): void {
  hook.intercept({
    register(tap: Tap) {
      const fn = tap.fn;
      const name = tap.name;
      if (tap.type === 'sync') {
        tap.fn = function (this: unknown, ...args: unknown[]) {
          try {
            return fn.apply(this, args);
          } catch (thrown) {
            throw tapError(name, thrown);
          }
        };
      } else if (tap.type === 'promise') {
        const rethrow = (thrown: unknown) => {
          throw tapError(name, thrown);
        };
        tap.fn = function (this: unknown, ...args: unknown[]) {
          try {
            return (fn.apply(this, args) as Promise<unknown>).then(undefined, rethrow);
          } catch (thrown) {
            throw tapError(name, thrown);
          }
        };
      } else {
        tap.fn = function (this: unknown, ...args: unknown[]) {
          const callback = args[args.length - 1] as Callback;
          args[args.length - 1] = (error: unknown, result?: unknown) => (error ? callback(tapError(name, error)) : callback(null, result));
          try {
            return fn.apply(this, args);
          } catch (thrown) {
            throw tapError(name, thrown);
          }
        };
      }
      return tap;
    },
  });
}
