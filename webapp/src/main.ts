import { bootstrapApplication } from '@angular/platform-browser';
import { appConfig } from './app/app.config';
import { App } from './app/app';

bootstrapApplication(App, appConfig).catch((err) => {
  console.error(err);
  // Say so on the page too: otherwise the visitor would be left with "Loading…" for ever.
  const root = document.querySelector('app-root');
  if (root) {
    const p = document.createElement('p');
    p.className = 'boot';
    p.setAttribute('role', 'alert');
    p.textContent = 'empctl could not start. Reload the page; if this persists, try again later.';
    root.replaceChildren(p);
  }
});
