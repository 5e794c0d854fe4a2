/** nsq's HTTP conventions (internal/http_api), shared by nsqd, nsqlookupd and the admin UI. */
export {HttpError, JsonText, STREAMED, V1_CONTENT_TYPE, respondError, respondV1, send, type HttpResult} from './respond.js'
export {declaredLength, readBody} from './body.js'
export {HTTP_BOOL, requireParam} from './params.js'
export {createHttpHandler, type HttpApi, type HttpHandler, type HttpRequest, type HttpRoute} from './router.js'
