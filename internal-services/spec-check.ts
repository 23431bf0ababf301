/**
 * What defineInternalService checks of a spec when its plugin is applied. TypeScript callers are
 * held to InternalServiceSpec by the compiler; plain JavaScript plugins are not, and a spec
 * without a name or with a mode the core does not know would otherwise only show up later as
 * `No such internal service` or a connection that hangs.
 */
export function internalServiceSpecProblem(spec: unknown): string | undefined {
  if (typeof spec !== 'object' || spec === null) return 'the spec must be an object';
  const s = spec as Record<string, unknown>;
  if (typeof s.name !== 'string' || !/^\S+$/.test(s.name)) return 'name must be a service name (a word without spaces)';
  if (s.stream === undefined && s.dgram === undefined) return `${s.name}: it needs a stream handler, a dgram handler, or both`;
  if (s.dgram !== undefined && typeof s.dgram !== 'function') return `${s.name}: dgram must be a function`;
  if (s.setup !== undefined && typeof s.setup !== 'function') return `${s.name}: setup must be a function`;
  if (s.stream === undefined || typeof s.stream === 'function') return undefined;
  return streamProblem(s.name, s.stream);
}

function streamProblem(name: string, stream: unknown): string | undefined {
  if (typeof stream !== 'object' || stream === null) return `${name}: stream must be a function or a handler object`;
  const h = stream as Record<string, unknown>;
  const fn = (key: string) => typeof h[key] === 'function';
  if (h.mode !== 'session' && h.mode !== 'reply') return `${name}: stream mode must be 'session' or 'reply', not ${String(h.mode)}`;
  if (fn('serve')) return undefined;
  if (h.mode === 'reply' && fn('answer')) return undefined;
  if (h.mode === 'session' && fn('buffer') && fn('reads')) return undefined;
  return h.mode === 'reply'
    ? `${name}: a reply stream handler needs serve(socket, ctx, conn) or answer(ctx, conn)`
    : `${name}: a session stream handler needs serve(socket, ctx, conn), or buffer(ctx, conn) and reads(socket, ctx, conn)`;
}
