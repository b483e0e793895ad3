// Public entry of sightline-viewer: start a viewer from code (tests, `sightline view`, the demo).
export { startViewer, PortInUseError, type Viewer, type ViewerOptions } from './server.js';
export { runCli } from './cli.js';
