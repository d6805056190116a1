/* global Response -- the runtime under test provides it */
// The application every runtime serves (test/fetch/runtimes.test.ts): withCorsSafety() from the
// built cors-safety/fetch (its module namespace is passed in), with the routes of the Node table.
export function application({ createCorsPolicy, withCorsSafety }) {
  const policy = createCorsPolicy({
    origin: ['https://app.example.com'],
    credentials: true,
    exposedHeaders: ['X-Request-Id'],
    methods: ['GET', 'POST', 'PUT'],
    allowedHeaders: ['Content-Type'],
    exposeReason: true,
    env: {},
  });
  return withCorsSafety(policy, (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/throw') throw new Error('db password is hunter2');
    if (path === '/unauthorized') return new Response('no', { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
    if (path === '/redirect') return Response.redirect('http://127.0.0.1/ok', 302);
    return new Response('ok', { headers: { 'X-Request-Id': 'r-1', 'Content-Type': 'text/plain' } });
  });
}
