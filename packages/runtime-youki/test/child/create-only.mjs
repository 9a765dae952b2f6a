// Creates a container (not detached) and prints "created" once create resolves; the test kills this
// process while create still runs. Usage: node create-only.mjs STATE_ROOT BUNDLE_JSON ID
import { YoukiRuntime } from '../../dist/index.js';

const [stateRoot, bundleJson, id] = process.argv.slice(2);
const rt = new YoukiRuntime({ stateRoot });
await rt.create(id, JSON.parse(bundleJson));
process.stdout.write('created\n');
