#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinPlugins } from '../plugins/index.js';
import { parseCliOptions, UsageError, USAGE, type CliOptions } from './cli-options.js';
import { runCheck } from './check-command.js';
import { runExplain } from './explain-command.js';
import { itox } from './config/inetd-conf.js';
import { Daemon } from './daemon.js';
import type { ResolvedConfig } from './config/resolve.js';
import { daemonFileLog } from './daemon-log.js';
import { isDetachedHalf, reportReady, reportStartError, startDetached } from './detach.js';
import { ignoreStraySignals } from './ignored-signals.js';
import { nameProcess } from './process-name.js';
import { setLongInterval } from './long-timer.js';
import { systemErrorText } from './system-error-text.js';
import { keepServingWhenStandardStreamsBreak } from './standard-streams.js';
import { endOnUncaughtErrors } from './uncaught-errors.js';
import { VERSION } from './version.js';

/** The daemon with its plugins; `reopenLog` lets go of the -filelog file (a reload does). */
function createDaemon(options: CliOptions, messages: 'foreground' | 'quiet'): { daemon: Daemon; reopenLog: () => void } {
  const daemon = new Daemon({
    configFile: options.configFile === undefined ? undefined : resolve(options.configFile),
    inetdConf: options.inetdCompat ? resolve(options.inetdFile ?? '/etc/inetd.conf') : undefined,
    processLimit: options.limit,
    dumpFile: options.dumpFile,
    stayAlive: options.stayalive,
    // xinetd -d writes this dump to its terminal (stderr), whatever else is given.
    configDump: options.debug ? (text) => process.stderr.write(text) : undefined,
  });
  // xinetd's routing of its own messages: -filelog FILE, else syslog (facility daemon or
  // -syslog FACILITY); in the foreground stderr, plus syslog when -syslog is given.
  const useSyslogForDaemon = options.filelog === undefined && (messages !== 'foreground' || options.syslog !== undefined);
  for (const plugin of builtinPlugins({ syslogFacility: options.syslog, useSyslogForDaemon })) daemon.use(plugin);
  let reopenLog: () => void = () => undefined;
  if (options.filelog !== undefined) {
    const log = daemonFileLog({ file: options.filelog, debug: options.debug });
    daemon.use(log);
    reopenLog = log.reopen;
  } else if (messages === 'foreground') daemon.use(daemonFileLog({ stream: process.stderr, debug: options.debug }));
  return { daemon, reopenLog };
}

async function runDaemon(options: CliOptions): Promise<number> {
  if (!options.dontfork && !isDetachedHalf()) {
    const logHint = options.filelog ?? `syslog (facility ${options.syslog ?? 'daemon'})`;
    return startDetached([fileURLToPath(import.meta.url), ...process.argv.slice(2)], logHint);
  }
  process.umask(process.umask() | 0o022);
  nameProcess();
  const { daemon, reopenLog } = createDaemon(options, options.dontfork ? 'foreground' : 'quiet');
  // Signal handlers go in before anything else (Node's default for SIGUSR1 would open the
  // inspector); their work is serialized behind the start-up.
  let pidfileWritten = false;
  let queue = Promise.resolve();
  const serial = (work: () => Promise<unknown>) => {
    queue = queue.then(work).then(() => undefined, (e: unknown) => daemon.message('error', String(e)));
  };
  const removePidfile = () => {
    if (!options.pidfile || !pidfileWritten) return;
    pidfileWritten = false;
    try {
      unlinkSync(options.pidfile);
    } catch {
      // already gone
    }
  };
  // SIGQUIT: the process lingers while its in-process sessions run; `ps` should say so.
  const lingering = (left: number) => {
    process.title = `xinetd-ts: exiting, ${left} session${left === 1 ? '' : 's'} left`;
  };
  const shutdown = async (mode: 'term' | 'quit', code: number) => {
    // The pid file goes with the sockets, before any linger: a new daemon may write its own.
    await daemon.close(mode, { released: removePidfile, lingering });
    removePidfile();
    process.exit(code);
  };
  let quitting = false;
  const exit = (mode: 'term' | 'quit') => serial(() => shutdown(mode, 0));
  const reload = () => serial(async () => {
    // A rotated -filelog (`mv`, then SIGHUP) gets the reload's messages already.
    reopenLog();
    await daemon.reload();
    if (daemon.config!.services.length === 0 && !options.stayalive) {
      daemon.message('crit', 'No available services. Exiting');
      await shutdown('quit', 1);
    }
  });
  process.on('SIGHUP', reload);
  process.on('SIGUSR2', reload);
  process.on('SIGUSR1', () => serial(() => daemon.dump()));
  process.on('SIGABRT', () => serial(async () => daemon.consistencyCheck()));
  // During a SIGQUIT (queued or lingering) SIGTERM ends the sessions it waits for; a second
  // SIGQUIT changes nothing.
  const terminate = () => (quitting ? daemon.endSessions() : exit('term'));
  process.on('SIGTERM', terminate);
  process.on('SIGQUIT', () => {
    if (quitting) return;
    quitting = true;
    exit('quit');
  });
  process.on('SIGINT', () => (options.debug ? terminate() : undefined));
  process.on('SIGPIPE', () => undefined);
  ignoreStraySignals();
  keepServingWhenStandardStreamsBreak();
  endOnUncaughtErrors((text) => daemon.message('crit', text), () => shutdown('term', 1));

  const startup = (async (): Promise<number> => {
    let config: ResolvedConfig;
    try {
      config = await daemon.loadConfig();
    } catch (error) {
      // Where the daemon's messages go (-filelog, syslog), as xinetd reports it; stderr as well
      // unless that is where they go already.
      const e = error as Error & { code?: string };
      const text = `${e.code ? `${e.code}: ` : ''}${e.message}`;
      daemon.message('error', text);
      daemon.message('crit', "couldn't get configuration. Exiting...");
      if (process.connected) await reportStartError(text);
      else if (!(options.dontfork && options.filelog === undefined)) process.stderr.write(`xinetd-ts: ${text}\n`);
      await daemon.close('quit');
      return 1;
    }
    if (config.fatal && !options.debug) {
      // The cause first: without it the exit is a riddle.
      daemon.reportDiagnostics(config);
      daemon.message('error', 'A fatal error was encountered while parsing the default section. xinetd-ts will exit.');
      await daemon.close('quit');
      return 1;
    }
    if (config.services.length === 0 && !options.stayalive) {
      // xinetd's words, before any `started` line: nothing was started.
      daemon.reportDiagnostics(config);
      daemon.message('crit', 'no services. Exiting...');
      await daemon.close('quit');
      return 1;
    }
    await daemon.start(config);
    if (options.pidfile) {
      try {
        unlinkSync(options.pidfile);
      } catch {
        // not there
      }
      try {
        writeFileSync(options.pidfile, `${process.pid}\n`, { mode: 0o644, flag: 'wx' });
        pidfileWritten = true;
      } catch (error) {
        // As xinetd, the daemon serves on without its pid file (it used to exit with the cause on
        // stderr only, which a detached daemon does not have). xinetd's words, then which file.
        daemon.message('error', `open failed: ${systemErrorText(error as Error)} (pid file ${options.pidfile})`);
      }
    }
    // Relative paths were resolved already; like xinetd, do not keep a directory busy.
    process.chdir('/');
    return -1;
  })();
  queue = startup.then(() => undefined, () => undefined);
  const code = await startup;
  if (code >= 0) return code;
  if (isDetachedHalf()) reportReady();
  if (options.consistencyInterval) setLongInterval(() => serial(async () => daemon.consistencyCheck()), options.consistencyInterval * 1000, { unref: true });
  // With no socket open (-stayalive, zero services) nothing else would keep the process alive;
  // the daemon only ends through a signal or a decision of its own.
  setInterval(() => undefined, 0x7fffffff);
  return -1;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'check') {
    const json = argv.includes('--json');
    const rest = argv.slice(1).filter((a) => a !== '--json');
    const { options } = parseCliOptions(rest);
    const { daemon } = createDaemon(options, 'quiet');
    return runCheck(daemon, json, process.stdout);
  }
  if (argv[0] === 'explain') {
    const make = (configFile: string | undefined) => createDaemon(parseCliOptions(configFile === undefined ? [] : ['-f', configFile]).options, 'quiet').daemon;
    return runExplain(argv.slice(1), make, process.stdout, process.stderr);
  }
  if (argv[0] === 'itox') {
    const i = argv.indexOf('-daemon_dir');
    const daemonDir = i >= 0 ? argv[i + 1] : undefined;
    const { text, warnings } = itox(readFileSync(0, 'utf8'), { daemonDir });
    for (const w of warnings) process.stderr.write(`itox: ${w}\n`);
    process.stdout.write(text);
    return 0;
  }
  const { options, notices } = parseCliOptions(argv);
  for (const n of notices) process.stderr.write(`${n}\n`);
  if (options.version) {
    process.stderr.write(`xinetd-ts ${VERSION} (xinetd 2.3.15 compatible) libwrap loadavg\n`);
    return 0;
  }
  return runDaemon(options);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`xinetd-ts: ${error.message}\n${USAGE}`);
      process.exit(1);
    }
    const e = error as Error & { code?: string };
    process.stderr.write(`xinetd-ts: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    process.exit(1);
  },
);
