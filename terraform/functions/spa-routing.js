// CloudFront viewer-request function (cloudfront-js-2.0) on the webapp bucket's
// behaviour: app routes such as /profile/42 have no file extension and are
// served by index.html; files such as /main.js pass through unchanged.
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
