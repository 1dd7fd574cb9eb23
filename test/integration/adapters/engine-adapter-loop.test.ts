// The engine adapter on real engine groups with the loop backend (the suite: test/helpers/engine-adapter-suite.ts).
import { engineAdapterSuite } from '../../helpers/engine-adapter-suite.js';

await engineAdapterSuite('loop');
