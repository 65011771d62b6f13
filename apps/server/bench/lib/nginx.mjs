/** nginx as the bench's GET backend (static files, sendfile, one worker), when it is installed. */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const nginxBinary = ["nginx", "/usr/sbin/nginx"].find((candidate) => spawnSync(candidate, ["-v"]).error === undefined);

/** Whether nginx can be used. */
export const hasNginx = nginxBinary !== undefined;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function ensureFile(path, size) {
  if (existsSync(path) && statSync(path).size === size) return;
  const pattern = Buffer.alloc(1024 * 1024);
  for (let index = 0; index < pattern.length; index++) pattern[index] = (index * 31 + 7) & 0xff;
  const out = createWriteStream(path);
  for (let left = size; left > 0; left -= pattern.length) {
    if (!out.write(left >= pattern.length ? pattern : pattern.subarray(0, left))) await new Promise((resolve) => out.once("drain", resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

/** Starts nginx serving `dir/bucket/{1k,64m,1g}.bin` (created once); resolves its URL and process. */
export async function startNginx(dir, { cpus } = {}) {
  const root = join(dir, "www");
  mkdirSync(join(root, "bucket"), { recursive: true });
  await ensureFile(join(root, "bucket/1k.bin"), 1024);
  await ensureFile(join(root, "bucket/64m.bin"), 64 * 1024 * 1024);
  await ensureFile(join(root, "bucket/1g.bin"), 1024 * 1024 * 1024);
  const port = await freePort();
  const prefix = join(dir, "nginx");
  mkdirSync(prefix, { recursive: true });
  writeFileSync(
    join(prefix, "nginx.conf"),
    `worker_processes 1;
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    default_type application/octet-stream;
  }
}
`,
  );
  const args = ["-p", prefix, "-c", join(prefix, "nginx.conf")];
  const command = cpus && spawnSync("taskset", ["--version"]).status === 0 ? ["taskset", ["-c", cpus, nginxBinary, ...args]] : [nginxBinary, args];
  const child = spawn(command[0], command[1], { stdio: "ignore" });
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await fetch(`http://127.0.0.1:${port}/bucket/1k.bin`).then((response) => response.ok, () => false);
    if (up) return { url: `http://127.0.0.1:${port}`, child, pid: child.pid };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error("nginx did not start");
}
