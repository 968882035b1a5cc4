/** The scriptable mock model server (used by `agentd demo` and every end-to-end test). */
export { startMockModelServer } from './mock-model-server.js';
export { echoResponder, lastUserText } from './responders.js';
export type {
  MockFault,
  MockModelServer,
  MockModelServerOptions,
  MockOutput,
  MockResponder,
  MockTurn,
  RecordedRequest,
} from './types.js';
