import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideTestHttp } from '../../testing/http';
import { BackendStatusService } from './backend-status.service';
import { StatusBar } from './status-bar';

describe('StatusBar', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ imports: [StatusBar], providers: provideTestHttp() });
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => TestBed.inject(BackendStatusService).stop());

  async function render() {
    const fixture = TestBed.createComponent(StatusBar);
    await fixture.whenStable();
    return fixture;
  }

  it('says it is connecting until the first answer', async () => {
    const fixture = await render();
    expect(fixture.nativeElement.textContent).toContain('Connecting');
    backend.expectOne('/api/version');
  });

  it('shows the version, a short instance id and the zone', async () => {
    const fixture = await render();
    backend.expectOne('/api/version').flush({
      version: 'v2.3.4',
      commit: 'c',
      buildTime: '',
      instanceId: '9f1c0e5d2b2a4c7e8f6a1b2c3d4e5f60',
      availabilityZone: 'eu-west-1a',
    });
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(el.querySelector('[data-testid=backend-version]')?.textContent).toBe('v2.3.4');
    expect(el.querySelector('[data-testid=backend-instance]')?.textContent).toBe('9f1c0e5d2b2a…');
    expect(el.querySelector('[data-testid=backend-instance]')?.getAttribute('title')).toBe(
      '9f1c0e5d2b2a4c7e8f6a1b2c3d4e5f60',
    );
    expect(el.querySelector('[data-testid=backend-zone]')?.textContent).toBe('eu-west-1a');
  });

  it('hides the zone when there is none (local runs)', async () => {
    const fixture = await render();
    backend.expectOne('/api/version').flush({
      version: 'dev',
      commit: '',
      buildTime: '',
      instanceId: 'laptop',
      availabilityZone: '',
    });
    await fixture.whenStable();
    expect(fixture.nativeElement.querySelector('[data-testid=backend-zone]')).toBeNull();
    expect(fixture.nativeElement.textContent).toContain('laptop');
  });

  it('shows a name given to the instance whole, however long', async () => {
    const fixture = await render();
    const instanceId = 'api-blue-replica-2.internal.example';
    backend.expectOne('/api/version').flush({
      version: 'v1',
      commit: '',
      buildTime: '',
      instanceId,
      availabilityZone: '',
    });
    await fixture.whenStable();
    const shown = fixture.nativeElement.querySelector('[data-testid=backend-instance]');
    expect(shown?.textContent).toBe(instanceId);
  });

  it('shows only the version when the server does not name its instance (the default)', async () => {
    const fixture = await render();
    backend
      .expectOne('/api/version')
      .flush({ version: 'v1.2.0', commit: 'c', platform: 'linux/amd64' });
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(el.querySelector('[data-testid=backend-version]')?.textContent).toBe('v1.2.0');
    expect(el.querySelector('[data-testid=backend-instance]')).toBeNull();
    expect(el.textContent).not.toContain('instance');
  });

  it('says when the service is unreachable', async () => {
    const fixture = await render();
    backend.expectOne('/api/version').error(new ProgressEvent('error'));
    await fixture.whenStable();
    expect(fixture.nativeElement.textContent).toContain('Service unreachable');
    expect(fixture.nativeElement.querySelector('.status-bar').classList).toContain('down');
  });
});
