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
// round (and a vault has one list at a time: sharedpoll runs one fetch of a
// group at a time). A single poll and a backup the list does not show read the backup
// itself (GET /v3/{project_id}/backups/{backup_id}); first polls, before a
// backup's vault is known, read one backup and list its vault for the
// others (see key and fetchUnknown). A vault whose list is refused (a 4xx
// answer other than throttling) is read backup by backup from then on.
//
// A list answers every backup of the vault, so a round also looks at the
// backups whose waits sleep (sharedpoll.Watch): one whose record has ended
// wakes its wait, and the backup read answers the poll the woken wait
// makes at once (sharedpoll.Seen), so the wait returns without another
// round. List pages are read into only the fields polls use (id,
// vault_id, provider_id, replication_records): the full backup costs about
// three times the CPU to decode (BenchmarkListPageDecode: 23 against 8 ms
// for a page of 1,000).
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
// has read the vault; before that, the project's group of backups whose
// vault is not known (fetchUnknown).
func (p *polls) key(project, backupID string) string {
	p.mu.Lock()
	vault := p.vaults[backupID]
	p.mu.Unlock()
	if vault == "" {
		vault = unknownVault
	}
	return project + "/" + vault
}

// get reads backup backupID of project. A backup a list answers has only
// the fields listedBackup reads.
func (p *polls) get(ctx context.Context, project, backupID string) (*Backup, error) {
	b, err := p.b.Get(ctx, p.key(project, backupID), backupID)
	if err == nil && b.VaultID != "" {
		p.mu.Lock()
		if len(p.vaults) >= maxKnown {
			clear(p.vaults)
		}
		p.vaults[backupID] = b.VaultID
		p.mu.Unlock()
	}
	return b, err
}

// maxKnown bounds the backup-to-vault map (a reset only makes each
// backup's next poll a first poll again, see key).
const maxKnown = 100_000

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
	if vault == unknownVault {
		p.fetchUnknown(ctx, key, project, ids, out)
		return out
	}
	// A list answers every backup of the vault: worth it for two polls, or
	// for one while other waits sleep (it may wake them).
	if len(ids) > 1 || len(p.b.Watched(key)) > 0 {
		if err := p.listVault(ctx, project, vault, ids, out); err != nil {
			for _, id := range ids {
				if _, ok := out[id]; !ok {
					out[id] = backupResult{Err: err}
				}
			}
			return out
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

// unknownVault is the vault part of the group of the polls whose backup's
// vault is not known.
const unknownVault = "/"

// fetchUnknown answers the polls of backups whose vault is not known (first
// polls, before any backup's vault is known): it reads one backup, then
// answers the others from a list of that backup's vault, and reads the
// first of those the list does not show, and so on, so n first polls of
// backups in one vault cost one read and one list, not n reads.
func (p *polls) fetchUnknown(ctx context.Context, key, project string, ids []string, out map[string]backupResult) {
	for i, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		b, err := p.c.getBackup(ctx, "PollReplication", project, id)
		p.b.Spent(key, 1)
		out[id] = backupResult{Value: b, Err: err}
		var rest []string
		for _, r := range ids[i+1:] {
			if _, ok := out[r]; !ok {
				rest = append(rest, r)
			}
		}
		if err != nil || len(rest) == 0 {
			continue
		}
		if err := p.listVault(ctx, project, b.VaultID, rest, out); err != nil {
			for _, r := range rest {
				if _, ok := out[r]; !ok {
					out[r] = backupResult{Err: err}
				}
			}
			return
		}
	}
}

// listVault answers ids from a list of vault, into out, unless the vault's
// list was refused before. A refusal (see listRefused) marks the vault's
// list refused and returns nil: the ids left are read one by one.
func (p *polls) listVault(ctx context.Context, project, vault string, ids []string, out map[string]backupResult) error {
	key := project + "/" + vault
	p.mu.Lock()
	refused := p.refused[key]
	p.mu.Unlock()
	if refused || vault == "" || strings.Contains(vault, "/") {
		return nil
	}
	err := p.list(ctx, project, vault, ids, out)
	if err != nil && listRefused(err) {
		p.mu.Lock()
		p.refused[key] = true
		p.mu.Unlock()
		return nil
	}
	return err
}

// list answers ids from a list of the vault, into out: page by page,
// until each of ids and of the backups whose waits sleep has been seen or
// the list ends. A sleeping wait whose record the list shows ended is woken
// with the backup read (sharedpoll.Seen), and one a complete list does not
// show at all is woken to read it (sharedpoll.Absent). A later page that
// fails leaves the earlier pages' answers standing: the ids it did not
// reach are answered with a transient error and polled again.
func (p *polls) list(ctx context.Context, project, vault string, ids []string, out map[string]backupResult) error {
	key := project + "/" + vault
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	watched := map[string]bool{}
	for _, id := range p.b.Watched(key) {
		if !want[id] {
			watched[id] = true
		}
	}
	seen := map[string]bool{}
	left, offset := len(ids)+len(watched), 0
	for n := range maxPollPages {
		p.b.Spent(key, 1) // each page as it is read, so the next round waits for them
		q := url.Values{"vault_id": {vault}, "show_replication": {"true"}}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		page, _, err := rest.Call[struct {
			Backups []listedBackup `json:"backups"`
			Count   int            `json:"count"`
		}](ctx, p.c.rest, &rest.Request{
			Op:     "ListBackups",
			Method: http.MethodGet,
			Path:   rest.NewPath("v3").Seg("ProjectID", project).Lit("backups"),
			Query:  q,
			Header: p.c.header(),
			Mode:   rest.Idempotent,
		})
		if err != nil && n > 0 {
			return sharedpoll.PageLost(err)
		}
		if err != nil {
			return err
		}
		for i := range page.Backups {
			l := &page.Backups[i]
			if seen[l.ID] {
				continue
			}
			seen[l.ID] = true
			switch {
			case want[l.ID]:
				out[l.ID] = backupResult{Value: l.backup()}
				left--
			case watched[l.ID]:
				delete(watched, l.ID)
				left--
				p.b.Seen(key, l.ID, l.backup())
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

// listedBackup is a backup of a list page as polls read it: the fields a
// poll uses, without the rest of the backup (its decoding is most of a
// round's CPU).
type listedBackup struct {
	ID                 string       `json:"id"`
	VaultID            string       `json:"vault_id"`
	ProviderID         string       `json:"provider_id"`
	ReplicationRecords []wireRecord `json:"replication_records"`
}

// backup returns l as a Backup with only those fields set.
func (l *listedBackup) backup() *Backup {
	b := &Backup{ID: l.ID, VaultID: l.VaultID, ProviderID: l.ProviderID}
	if len(l.ReplicationRecords) > 0 {
		b.ReplicationRecords = make([]ReplicationRecord, len(l.ReplicationRecords))
		for i := range l.ReplicationRecords {
			b.ReplicationRecords[i] = l.ReplicationRecords[i].record()
		}
	}
	return b
}
