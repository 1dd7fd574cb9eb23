// The engine adapter on real engine groups with the file backend (the suite: test/helpers/engine-adapter-suite.ts).
import { engineAdapterSuite } from '../../helpers/engine-adapter-suite.js';

await engineAdapterSuite('file');
