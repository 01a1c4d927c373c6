// Preloaded into the conformance suite's Node (`node --import`) when the server runs with authentication on.
//
// The suite has no option to send a header: its scenarios call fetch(), undici's request() or node:http's request()
// themselves. fetch() and undici go through undici's global dispatcher, so one interceptor there adds
// `Authorization: Bearer $CONFORMANCE_BEARER` to every request for the server's origin ($CONFORMANCE_ORIGIN) and
// leaves every other header as the scenario set it; node:http's request() is wrapped to do the same.
import http from "node:http";
import { createRequire, syncBuiltinESMExports } from "node:module";

const token = process.env.CONFORMANCE_BEARER;
const origin = process.env.CONFORMANCE_ORIGIN;
if (!token || !origin) throw new Error("conformance-auth.mjs needs CONFORMANCE_BEARER and CONFORMANCE_ORIGIN");
// undici is the suite's own dependency, installed beside it in .ci/.tools.
const { Agent, setGlobalDispatcher } = createRequire(process.env.CONFORMANCE_TOOLS + "/")("undici");

function withBearer(headers) {
  const value = `Bearer ${token}`;
  if (headers == null) return { authorization: value };
  if (Array.isArray(headers)) {
    // undici's two array forms: flat [name, value, ...] or [[name, value], ...].
    return headers.length > 0 && Array.isArray(headers[0])
      ? [...headers, ["authorization", value]]
      : [...headers, "authorization", value];
  }
  if (typeof headers[Symbol.iterator] === "function") return [...headers, ["authorization", value]];
  return { ...headers, authorization: value };
}

setGlobalDispatcher(
  new Agent().compose((dispatch) => (opts, handler) => {
    const target = new URL(opts.path, opts.origin).origin;
    return dispatch(target === origin ? { ...opts, headers: withBearer(opts.headers) } : opts, handler);
  }),
);

const httpRequest = http.request;
http.request = function request(options, ...rest) {
  if (options && typeof options === "object" && !(options instanceof URL)) {
    const target = `${options.protocol ?? "http:"}//${options.hostname ?? options.host}:${options.port ?? 80}`;
    if (target === origin) options = { ...options, headers: withBearer(options.headers) };
  }
  return httpRequest.call(this, options, ...rest);
};
syncBuiltinESMExports();
