// Preloaded by the unit test run: property tests explore the same cases on every run (and in CI), so a
// failure reproduces. Set FC_SEED to explore others; a failing seed is printed by fast-check with its path.
const fc = require('fast-check');
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261123) });
