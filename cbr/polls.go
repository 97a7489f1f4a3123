package cbr

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/internal/sharedpoll"
)

// Replication polls of one client are shared (internal/sharedpoll): a
// replication's state is a record of its source backup, and the polls of
// the backups of one vault that fall due together are answered by one
// backups list of the vault with their replication records
// (GET /v3/{project_id}/backups?vault_id=...&show_replication=true, paged
// by offset), so many replications waited on at once cost one request a
// round. A single poll, a poll whose backup's vault is not known yet (its
// first), and a backup the list does not show read the backup itself
// (GET /v3/{project_id}/backups/{backup_id}) as before. A vault whose list
// is refused (a 4xx answer other than throttling) is read backup by backup
// from then on.
const (
	// pollGap is the least time between two list rounds of one vault.
	pollGap = time.Second
	// maxPollPages bounds the pages one round reads.
	maxPollPages = 20
)

type backupResult = sharedpoll.Result[*Backup]

// polls is a client's shared replication polls.
type polls struct {
	c *Client
	b *sharedpoll.Batcher[*Backup]

	mu      sync.Mutex
	refused map[string]bool   // groups whose list was refused
	vaults  map[string]string // backup id -> vault id, as polls read them
}

func (c *Client) newPolls() *polls {
	p := &polls{c: c, refused: map[string]bool{}, vaults: map[string]string{}}
	p.b = sharedpoll.New(sharedpoll.Config[*Backup]{Clock: c.clock, Gap: pollGap, Fetch: p.fetch})
	return p
}

// key is the group of backupID's polls: its project and vault, once a poll
// has read the vault.
func (p *polls) key(project, backupID string) string {
	p.mu.Lock()
	vault := p.vaults[backupID]
	p.mu.Unlock()
	if vault == "" {
		return project + "//" + backupID // a group of its own
	}
	return project + "/" + vault
}

// get reads backup backupID of project.
func (p *polls) get(ctx context.Context, project, backupID string) (*Backup, error) {
	b, err := p.b.Get(ctx, p.key(project, backupID), backupID)
	if err == nil && b.VaultID != "" {
		p.mu.Lock()
		if len(p.vaults) >= maxKnownVaults {
			clear(p.vaults)
		}
		p.vaults[backupID] = b.VaultID
		p.mu.Unlock()
	}
	return b, err
}

// maxKnownVaults bounds the backup-to-vault map (a reset only makes the
// next poll of each backup a show of its own).
const maxKnownVaults = 100_000

// watch is lro.Config.Watch for the replication called name: a list that
// shows its record finished (or no longer shows its backup) wakes the wait.
func (p *polls) watch(name string, wake func()) (stop func()) {
	ref, err := parseName(name)
	if err != nil {
		return func() {}
	}
	return p.watcher(ref)(name, wake)
}

// watcher is watch for the replication ref, with its name parsed once: a
// handle's Config.Watch (it runs before every sleep of every Wait).
func (p *polls) watcher(ref opRef) func(name string, wake func()) (stop func()) {
	check := func(b *Backup) bool {
		r := b.record(ref.recordID)
		return r == nil || r.Status == ReplicationSuccess || r.Status == ReplicationFail || r.Status == ReplicationSkip
	}
	return func(_ string, wake func()) func() {
		key := p.key(ref.projectID, ref.backupID)
		if strings.Contains(key, "//") {
			// The vault is not known yet (before the first poll): the
			// group of this backup alone is never listed, so nothing
			// would wake the wait.
			return func() {}
		}
		return p.b.Watch(key, ref.backupID, check, wake)
	}
}

// fetch answers one round for the group project/vault.
func (p *polls) fetch(ctx context.Context, key string, ids []string) map[string]backupResult {
	project, vault, _ := strings.Cut(key, "/")
	out := make(map[string]backupResult, len(ids))
	p.mu.Lock()
	refused := p.refused[key]
	p.mu.Unlock()
	// A list answers every backup of the vault: worth it for two polls, or
	// for one while other waits sleep (it may wake them).
	if (len(ids) > 1 || len(p.b.Watched(key)) > 0) && vault != "" && !strings.Contains(vault, "/") && !refused {
		if err := p.list(ctx, project, vault, ids, out); err != nil {
			if !listRefused(err) {
				for _, id := range ids {
					if _, ok := out[id]; !ok {
						out[id] = backupResult{Err: err}
					}
				}
				return out
			}
			p.mu.Lock()
			p.refused[key] = true
			p.mu.Unlock()
		}
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			b, err := p.c.getBackup(ctx, "PollReplication", project, id)
			p.b.Spent(key, 1)
			out[id] = backupResult{Value: b, Err: err}
		}
	}
	return out
}

// list reads the vault's backups with their replication records, page by
// page, until every id has been seen or the list ends, into out.
func (p *polls) list(ctx context.Context, project, vault string, ids []string, out map[string]backupResult) error {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	key := project + "/" + vault
	watched := map[string]bool{}
	for _, id := range p.b.Watched(key) {
		if !want[id] {
			watched[id] = true
		}
	}
	left, offset := len(ids)+len(watched), 0
	for range maxPollPages {
		p.b.Spent(key, 1) // each page as it is read, so the next round waits for them
		q := url.Values{"vault_id": {vault}, "show_replication": {"true"}}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		page, _, err := rest.Call[struct {
			Backups []Backup `json:"backups"`
			Count   int      `json:"count"`
		}](ctx, p.c.rest, &rest.Request{
			Op:     "ListBackups",
			Method: http.MethodGet,
			Path:   rest.NewPath("v3").Seg("ProjectID", project).Lit("backups"),
			Query:  q,
			Header: p.c.header(),
			Mode:   rest.Idempotent,
		})
		if err != nil {
			return err
		}
		for i := range page.Backups {
			b := &page.Backups[i]
			switch {
			case want[b.ID]:
				if _, dup := out[b.ID]; !dup {
					out[b.ID] = backupResult{Value: b}
					left--
				}
			case watched[b.ID]:
				delete(watched, b.ID)
				left--
				p.b.Seen(key, b.ID, b)
			}
		}
		offset += len(page.Backups)
		if left == 0 {
			return nil
		}
		if len(page.Backups) == 0 || offset >= page.Count {
			for id := range watched { // the list is complete: gone
				p.b.Absent(key, id)
			}
			return nil
		}
	}
	return nil
}

// listRefused reports whether a list error means this vault's list cannot
// serve polls: bad input, not found or permission (not throttling, an
// outage or an unknown outcome, which pass).
func listRefused(err error) bool {
	switch backupcopy.KindOf(err) {
	case backupcopy.InvalidInput, backupcopy.NotFound, backupcopy.PermissionDenied:
		return true
	}
	return false
}
