import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { AppConfigService } from '../../core/config/app-config.service';
import { PublicProfile } from '../../core/api/models';

/** Other users' public profiles. */
@Injectable({ providedIn: 'root' })
export class UsersService {
  private readonly http = inject(HttpClient);
  private readonly config = inject(AppConfigService);

  publicProfile(id: number): Observable<PublicProfile> {
    return this.http.get<PublicProfile>(this.config.api(`/users/${id}`));
  }
}
