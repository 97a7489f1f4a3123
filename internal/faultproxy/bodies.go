package faultproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// GoogleError returns a Google REST error body ({"error": {code, message,
// status, details}}). A positive retryDelay adds a google.rpc.RetryInfo
// detail, as the service sends with RESOURCE_EXHAUSTED and UNAVAILABLE.
func GoogleError(httpStatus int, status, message string, retryDelay time.Duration) string {
	e := map[string]any{"code": httpStatus, "message": message, "status": status}
	if retryDelay > 0 {
		e["details"] = []any{map[string]any{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": fmt.Sprintf("%.3fs", retryDelay.Seconds()),
		}}
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

// HuaweiError returns a Huawei Cloud API gateway error body
// ({"error_code", "error_msg", "request_id"}).
func HuaweiError(code, message, requestID string) string {
	b, _ := json.Marshal(map[string]string{"error_code": code, "error_msg": message, "request_id": requestID})
	return string(b)
}

// AWSJSONError returns an awsJson1_1 error body ({"__type", "message"}).
func AWSJSONError(typ, message string) string {
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": message})
	return string(b)
}

// JSONHeader returns a header with Content-Type application/json and the
// given extra key/value pairs.
func JSONHeader(kv ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
