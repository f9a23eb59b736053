/** The config keys of metrics and logs: `log.format` and `workers.metricsPort`, from YAML and the environment. */
import { describe, expect, it } from "vitest";
import { configError, loadEnv, loadText } from "./helpers.js";

describe("log.format and workers.metricsPort", () => {
  it("ok/defaults: log.format auto, no worker metrics listener", async () => {
    const { config } = await loadEnv({});
    expect(config.log.format).toBe("auto");
    expect(config.workers.metricsPort).toBeUndefined();
    expect(config.workers.concurrency).toBe(4);
  });

  it("ok/set in YAML", async () => {
    const { config } = await loadText("log: { level: debug, format: pretty }\nworkers: { metricsPort: 9464 }\n");
    expect(config.log).toEqual({ level: "debug", format: "pretty" });
    expect(config.workers).toEqual({ concurrency: 4, metricsPort: 9464 });
  });

  it("ok/set from SCEPGATE_LOG_FORMAT and SCEPGATE_WORKERS_METRICS_PORT, over the file", async () => {
    const { config } = await loadText("log: { format: pretty }\n", { SCEPGATE_LOG_FORMAT: "json", SCEPGATE_WORKERS_METRICS_PORT: "9465" });
    expect(config.log.format).toBe("json");
    expect(config.workers.metricsPort).toBe(9465);
  });

  it("fail/bad values name the key and what is expected", async () => {
    const cases: [string, string][] = [
      ["log: { format: colour }", 'config: log.format: expected one of auto|json|pretty, got "colour"'],
      ["workers: { metricsPort: 70000 }", "config: workers.metricsPort: expected an integer from 0 to 65535, got 70000"],
      ["workers: { metricsPort: nine }", 'config: workers.metricsPort: expected an integer from 0 to 65535, got "nine"'],
    ];
    for (const [yaml, message] of cases) expect((await configError(loadText(yaml))).message.split(" (in ")[0]).toBe(message);
  });

  it("fail/a bad environment value names the variable", async () => {
    const err = await configError(loadEnv({ SCEPGATE_WORKERS_METRICS_PORT: "-1" }));
    expect(err.message).toBe('config: workers.metricsPort: expected an integer from 0 to 65535, got "-1" (from SCEPGATE_WORKERS_METRICS_PORT)');
  });
});
