// Module hooks for one child process: posts every module URL that gets resolved to the port
// handed over by register(), so the parent thread learns what the process loaded.
let port;
export function initialize(data) {
  port = data.port;
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}
