package web

import "github.com/pactwatch/pactwatch/response/service"

// The server hands the pages its response service; this keeps the two in step.
var _ Responses = (*service.Service)(nil)
