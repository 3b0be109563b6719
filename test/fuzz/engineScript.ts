// Run in a child process by engine.test.ts, since initEngine switches the process-wide backend. Prints one
// JSON line per probe.
import { initEngine, engineInfo } from '../../lib/engine/backend';

const say = (v: unknown) => console.log(JSON.stringify(v));

async function main(): Promise<void> {
  // Two concurrent switches to different backends: the second is refused, never both silently 'cpu'.
  const r = await Promise.allSettled([initEngine({ backend: 'wasm', verbose: false }), initEngine({ backend: 'cpu', verbose: false })]);
  say(r.map((x) => (x.status === 'fulfilled' ? x.value.backend : (x.reason as Error).message)));
  // Concurrent calls that agree share one initialisation.
  say((await Promise.all([initEngine({ backend: 'cpu', verbose: false }), initEngine({ backend: 'cpu', verbose: false }), initEngine()])).map((i) => i.backend));
  // More threads than cores: the info and a note say what is used.
  const w = await initEngine({ backend: 'wasm', threads: 64, verbose: false });
  say({ threads: w.threads, notes: engineInfo().notes.filter((n) => n.startsWith('threads:')) });
  // Empty environment variables count as unset.
  process.env.ROBUSTLAB_BACKEND = '';
  say((await initEngine({ threads: 1, verbose: false })).backend);
  process.env.ROBUSTLAB_THREADS = ' ';
  say((await initEngine({ backend: 'cpu', verbose: false })).backend);
  process.env.ROBUSTLAB_THREADS = 'many';
  say(await initEngine({ backend: 'cpu', verbose: false }).catch((e: Error) => e.message));
}
main().catch((e: Error) => say({ error: e.message }));
