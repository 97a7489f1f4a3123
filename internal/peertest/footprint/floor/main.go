// Command floor is the footprint floor: one HMAC-signed JSON POST with
// net/http, encoding/json and crypto/hmac, decoding the JSON answer.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

type copyRequest struct {
	SourceBackupID string `json:"SourceBackupId"`
	SourceRegion   string `json:"SourceRegion"`
}

type copyResponse struct {
	Backup struct {
		BackupID  string `json:"BackupId"`
		Lifecycle string `json:"Lifecycle"`
	} `json:"Backup"`
}

func main() {
	body, err := json.Marshal(copyRequest{SourceBackupID: "backup-0123456789abcdef0", SourceRegion: "us-west-2"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	now := time.Now().UTC().Format("20060102T150405Z")
	mac := hmac.New(sha256.New, []byte(os.Getenv("SECRET")))
	mac.Write([]byte(now))
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, "https://example.invalid/", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Date", now)
	req.Header.Set("Authorization", "HMAC-SHA256 Signature="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	var out copyResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(out.Backup.BackupID, out.Backup.Lifecycle)
}
