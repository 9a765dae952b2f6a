// Creates and starts a detached container, prints its state as JSON, and exits while the
// container keeps running. Usage: node create-detached.mjs STATE_ROOT BUNDLE_JSON ID
import { YoukiRuntime } from '../../dist/index.js';

const [stateRoot, bundleJson, id] = process.argv.slice(2);
const rt = new YoukiRuntime({ stateRoot });
await rt.create(id, JSON.parse(bundleJson), { detach: true });
await rt.start(id);
process.stdout.write(JSON.stringify(await rt.state(id)) + '\n');
