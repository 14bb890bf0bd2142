import { App, Chart } from 'cdk8s';
import { KelosInstall } from '/work/wt/install/constructs/index.ts';
const app = new App();
const c = new Chart(app, 'x', { namespace: process.argv[2] || undefined });
new KelosInstall(c, 'kelos', process.argv[3] ? { watchNamespaces: process.argv[3].split(','), monitor: 'PodMonitor' } : {});
console.log(app.synthYaml());
