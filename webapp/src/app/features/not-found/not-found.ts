import { Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'app-not-found',
  imports: [RouterLink],
  template: `
    <section class="card narrow">
      <h1 tabindex="-1">Page not found</h1>
      <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
      <p><a routerLink="/">Go to the start page</a></p>
    </section>
  `,
})
export class NotFound {}
