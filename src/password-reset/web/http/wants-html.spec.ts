import { wantsHtml } from './wants-html';

const FORM = 'application/x-www-form-urlencoded';

describe('wantsHtml', () => {
  it.each([
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['text/html', true],
    ['text/*', true],
    ['application/json;q=0.5, text/html', true],
    ['text/html;q=0.5, */*', false],
    ['*/*', false],
    ['application/json, text/html', false],
    ['text/html;q=0, */*', false],
    ['image/png', false],
    ['', false],
    [undefined, false],
  ])(
    'takes Accept %j from a form post as a browser: %s',
    (accept, expected) => {
      expect(wantsHtml({ 'content-type': FORM, accept })).toBe(expected);
    },
  );

  it('answers JSON to anything but a form post, and reads the media type regardless of case and parameters', () => {
    expect(
      wantsHtml({ 'content-type': 'application/json', accept: 'text/html' }),
    ).toBe(false);
    expect(wantsHtml({ accept: 'text/html' })).toBe(false);
    expect(
      wantsHtml({
        'content-type': 'Application/X-WWW-Form-Urlencoded; charset=utf-8',
        accept: 'text/html',
      }),
    ).toBe(true);
  });
});
