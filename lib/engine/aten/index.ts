/**
 * The `aten` backend: TF.js kernels as libtorch (ATen) calls through a native addon.
 * @module
 */

/** Options of {@link registerAtenBackend}. */
export interface AtenOptions {
  threads: number;
}

/** Loads the native addon and registers the `aten` backend; throws with the reason when unavailable. */
export async function registerAtenBackend(opts: AtenOptions): Promise<{ versions: Record<string, string>; device: string; threads: number; notes?: string[] }> {
  throw new Error(`native addon not built (threads requested: ${opts.threads})`);
}
