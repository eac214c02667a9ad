/**
 * The debug UI's entry module (`/ui/app.js`): the hash router that mounts one view at a time and
 * ends the previous one, and the run's state in the header.
 */

/** The source of `/ui/app.js`, an ES module for the browser. */
export const APP_JS = String.raw`import { mountComponent } from './component.js';
import { mountComponents } from './components.js';
import { createLifecycle, describeError, getJson, h } from './dom.js';
import { mountGraph } from './graph.js';
import { mountPeers } from './peers.js';
import { mountTap } from './tap.js';

const ROUTES = [
  {
    pattern: /^#\/components$/,
    name: 'components',
    nav: 'components',
    title: 'Components',
    mount: mountComponents,
  },
  { pattern: /^#\/graph$/, name: 'graph', nav: 'graph', title: 'Graph', mount: mountGraph },
  {
    pattern: /^#\/component\/([^/?]+)$/,
    name: 'component',
    nav: 'components',
    title: 'Component',
    mount: mountComponent,
  },
  { pattern: /^#\/tap\/([^/?]+)$/, name: 'tap', nav: 'components', title: 'Live', mount: mountTap },
  { pattern: /^#\/peers$/, name: 'peers', nav: 'peers', title: 'Cluster', mount: mountPeers },
];

let current;

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function setNav(active) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.getAttribute('data-nav') === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function render() {
  const hash = location.hash;
  if (hash === '' || hash === '#' || hash === '#/') {
    location.replace('#/components');
    return;
  }
  if (current) current.close();
  const life = createLifecycle();
  current = life;
  const view = document.getElementById('view');
  view.replaceChildren();
  window.scrollTo(0, 0);
  const queryAt = hash.indexOf('?');
  const path = queryAt < 0 ? hash : hash.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? '' : hash.slice(queryAt + 1));
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const id = match[1] === undefined ? undefined : decode(match[1]);
    if (match[1] !== undefined && id === undefined) break;
    setNav(route.nav);
    document.title = (id === undefined ? route.title : route.title + ': ' + id) + ' · rivulet debug';
    view.dataset.view = route.name;
    route.mount(view, life, id, query);
    return;
  }
  setNav('');
  document.title = 'Not found · rivulet debug';
  view.dataset.view = 'not-found';
  view.append(
    h('h1', null, 'Not found'),
    h(
      'p',
      null,
      'Nothing is shown at ',
      h('code', null, hash),
      '. ',
      h('a', { href: '#/components' }, 'See the components'),
      '.',
    ),
  );
}

function chip(text, tone) {
  return h('span', { class: 'chip chip-' + tone }, text);
}

/** Shows the Cluster link once the server says a cluster is attached. */
async function showClusterLink() {
  const server = await getJson('/api/v0/status');
  document.getElementById('nav-peers').hidden = server.cluster !== true;
}

/**
 * Keeps the header's run state (ready, healthy, draining) and the offline banner current, and
 * shows the Cluster link once the server has told whether a cluster is attached.
 */
function watchRun() {
  const status = document.getElementById('run-status');
  const banner = document.getElementById('banner');
  let clusterKnown = false;
  const tick = async () => {
    try {
      if (!clusterKnown) {
        await showClusterLink();
        clusterKnown = true;
      }
      const list = await getJson('/api/v0/components');
      banner.hidden = true;
      const pipelines = Array.isArray(list.pipelines) ? list.pipelines.join(', ') : '';
      status.replaceChildren(
        h('span', { class: 'pipelines', title: 'pipelines' }, pipelines),
        list.draining
          ? chip('draining', 'warn')
          : chip(list.ready ? 'ready' : 'not ready', list.ready ? 'ok' : 'warn'),
        chip(list.healthy ? 'healthy' : 'unhealthy', list.healthy ? 'ok' : 'bad'),
      );
      status.dataset.ready = String(list.ready);
      status.dataset.healthy = String(list.healthy);
    } catch (error) {
      banner.textContent = 'The debug server does not answer (' + describeError(error) + '); retrying.';
      banner.hidden = false;
    }
    setTimeout(tick, 2000);
  };
  tick();
}

window.addEventListener('hashchange', render);
render();
watchRun();
`;
