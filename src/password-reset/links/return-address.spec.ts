import { ReturnAddresses } from './return-address';

describe('ReturnAddresses', () => {
  const list = ReturnAddresses.of([
    'https://app.example.test',
    'https://shop.example.test:8443/account/',
    'https://docs.example.test/guide',
  ]);

  it.each([
    ['https://app.example.test', 'https://app.example.test/'],
    [
      'https://app.example.test/any/where?x=1#y',
      'https://app.example.test/any/where?x=1#y',
    ],
    ['HTTPS://APP.Example.TEST/Path', 'https://app.example.test/Path'],
    ['https://app.example.test:443/', 'https://app.example.test/'],
    [
      'https://shop.example.test:8443/account/',
      'https://shop.example.test:8443/account/',
    ],
    [
      'https://shop.example.test:8443/account/orders/7',
      'https://shop.example.test:8443/account/orders/7',
    ],
    ['https://docs.example.test/guide', 'https://docs.example.test/guide'],
    [
      'https://docs.example.test/guide/intro',
      'https://docs.example.test/guide/intro',
    ],
    [
      'https://shop.example.test:8443/account/x/../orders',
      'https://shop.example.test:8443/account/orders',
    ],
    // The parser decodes the host as a browser would: it is the allowed one.
    ['https://app%2eexample.test/', 'https://app.example.test/'],
  ])('allows %s, as %s', (address, carried) => {
    expect(list.check(address)).toBe(carried);
  });

  it.each([
    ['a look-alike host', 'https://app.example.test.evil.example.net/'],
    ['a host that ends like one', 'https://evilapp.example.test/'],
    ['userinfo', 'https://app.example.test@evil.example.net/'],
    [
      'a user and password on an allowed host',
      'https://user:pw@app.example.test/',
    ],
    ['another scheme', 'javascript:alert(1)'],
    ['a data URL', 'data:text/html,hi'],
    ['http for https', 'http://app.example.test/'],
    ['another port', 'https://app.example.test:8443/'],
    [
      'the default port for a non-default one',
      'https://shop.example.test/account/',
    ],
    ['a path off the prefix', 'https://shop.example.test:8443/admin'],
    [
      'a path that only starts like the prefix',
      'https://docs.example.test/guidebook',
    ],
    [
      'the prefix without its trailing slash',
      'https://shop.example.test:8443/account',
    ],
    [
      'traversal out of the prefix',
      'https://shop.example.test:8443/account/../admin',
    ],
    [
      'encoded traversal',
      'https://shop.example.test:8443/account/%2e%2e/admin',
    ],
    ['an encoded slash', 'https://shop.example.test:8443/account/..%2Fadmin'],
    [
      'an encoded backslash',
      'https://shop.example.test:8443/account/..%5cadmin',
    ],
    ['a backslash', 'https://app.example.test\\@evil.example.net/'],
    [
      'a backslash in the path',
      'https://shop.example.test:8443/account/..\\admin',
    ],
    ['a protocol-relative URL', '//app.example.test/'],
    ['a relative path', '/account/'],
    ['a space', 'https://app.example.test/a b'],
    ['a control character', 'https://app.example.test/\n'],
    ['a trailing dot', 'https://app.example.test./'],
    ['something else entirely', 'not a url'],
    ['nothing', ''],
    [
      'an address too long to carry',
      `https://app.example.test/${'a'.repeat(2048)}`,
    ],
  ])('refuses %s', (_, address) => {
    expect(list.check(address)).toBeUndefined();
  });

  it('refuses every address when no list is set', () => {
    expect(ReturnAddresses.none().check('https://app.example.test/')).toBe(
      undefined,
    );
    expect(ReturnAddresses.none().enabled).toBe(false);
    expect(list.enabled).toBe(true);
  });

  it.each([
    ['a relative URL', '/account/'],
    ['no scheme', 'app.example.test'],
    ['another scheme', 'ftp://app.example.test/'],
    ['userinfo', 'https://admin@app.example.test/'],
    ['a query', 'https://app.example.test/?next=1'],
    ['a fragment', 'https://app.example.test/#top'],
  ])('refuses a list with %s, in one sentence naming the entry', (_, entry) => {
    expect(() =>
      ReturnAddresses.of(['https://ok.example.test', entry]),
    ).toThrow(
      `returnUrls: ${JSON.stringify(entry)} is not an absolute http(s) URL without user, password, query or fragment`,
    );
  });
});
