/**
 * The debug UI's page (`/`): the frame the views are drawn in. No inline script or style, so the
 * server's Content-Security-Policy can forbid both; everything it loads is same-origin.
 */

/** The HTML of `/`. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>rivulet debug</title>
<link rel="icon" href="/ui/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/styles.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/components"><img src="/ui/icon.svg" alt="" width="20" height="20"> rivulet <span>debug</span></a>
  <nav class="main-nav" aria-label="Views">
    <a href="#/components" id="nav-components" data-testid="nav-components" data-nav="components">Components</a>
    <a href="#/graph" id="nav-graph" data-testid="nav-graph" data-nav="graph">Graph</a>
    <a href="#/peers" id="nav-peers" data-testid="nav-peers" data-nav="peers" hidden>Cluster</a>
  </nav>
  <div id="run-status" class="run-status" data-testid="run-status" aria-live="polite"></div>
</header>
<p id="banner" class="banner" role="alert" hidden></p>
<main id="view" data-testid="view"></main>
<noscript><p class="banner">The debug UI needs JavaScript. The JSON API is at <a href="/api/v0/components">/api/v0/components</a>.</p></noscript>
</body>
</html>
`;
