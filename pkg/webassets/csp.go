package webassets

// ContentSecurityPolicy is sent with the webapp's files by the local balancer
// and by CloudFront (terraform/webapp.tf, the security headers policy): the
// session token is in localStorage, so no script may run that the app did not
// ship. Scripts only from the origin, never inline (Angular's build inlines
// none with "inlineCritical": false); styles may be inline, since Angular adds
// its components' styles as <style> elements at run time; the API is on the
// same origin (/api). webassets_test checks both copies say the same.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"
