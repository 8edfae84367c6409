/**
 * The size of libuv's thread pool for this process, set before the pool starts: main.ts imports
 * this module first, and libuv reads `UV_THREADPOOL_SIZE` when the pool is first used (Node's
 * module loading does not use it). An operator's own value wins.
 *
 * Why one thread: node-llama-cpp runs every decode on this pool, and llama.cpp's CPU backend
 * starts fresh helper threads for each decode, under whichever pool thread took the work. With
 * four pool threads the decodes of one stream were spread over all of them, and with two
 * llama.cpp threads on a 2-core machine many decodes took far longer than the others; with one
 * pool thread those slow decodes were gone (figures in apps/server/README.md, *Concurrency
 * benchmark*). The cost: file reads of the node (console assets, model chunks given to a peer)
 * wait for the decode step in progress.
 */
export const DEFAULT_THREADPOOL_SIZE = '1';

process.env['UV_THREADPOOL_SIZE'] ??= DEFAULT_THREADPOOL_SIZE;
