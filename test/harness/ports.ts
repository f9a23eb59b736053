/**
 * Free TCP ports for test servers.
 */
import { createServer } from "node:net";

/**
 * Returns a TCP port that was free a moment ago: listens on port 0 on `host`
 * (default 127.0.0.1), reads the port the kernel chose, closes, returns it.
 * There is a small race until the caller binds it; the `start*` helpers retry
 * on "address in use".
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("freePort: no TCP address"));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
