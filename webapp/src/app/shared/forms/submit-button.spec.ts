import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SubmitButton } from './submit-button';

@Component({
  imports: [SubmitButton],
  template: `<form><input id="field" /><button type="submit">Save</button></form>`,
})
class Host {}

describe('SubmitButton', () => {
  it('keeps focus in the field when the button is pressed, and still submits on click', () => {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    const el: HTMLElement = fixture.nativeElement;
    const button = el.querySelector('button')!;
    const press = new MouseEvent('mousedown', { bubbles: true, cancelable: true });
    button.dispatchEvent(press);
    expect(press.defaultPrevented).toBe(true);

    let submitted = false;
    el.querySelector('form')!.addEventListener('submit', (e) => {
      e.preventDefault();
      submitted = true;
    });
    button.click();
    expect(submitted).toBe(true);
  });
});
