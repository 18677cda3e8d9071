/*  case_kb.h — the knowledge base of typical cases (业务知识库, seed
 *  003_2e13b8f96210a22c.txt "…提交到业务知识库"; issue 16 §3;
 *  deploy/migrations/049_knowledge_base.sql, docs/records.md).
 *
 *  kb_promote (the complaint office), as one transaction:
 *
 *      the token -> an active member of staff        else unauthenticated
 *      their role is complaint_office                else forbidden (token)
 *      BEGIN
 *      SELECT the case ... FOR NO KEY UPDATE          else not_found
 *      the case is resolved or closed                else invalid_transition
 *      the answer: the request's, else the case's
 *      customer_text (the vetted answer), else the
 *      last resolve's or proposal's text             else missing_field (answer)
 *      summary and answer scrubbed (privacy_scrub with the case's own
 *      customer: their name and numbers wherever written), at most 4000
 *      characters each
 *      INSERT kb_entry ... ON CONFLICT (complaint_id) DO UPDATE (promoting
 *                          again is the promoter's edit)
 *      INSERT case_action (action `kb_promote`: the entry's id; the case's
 *                          state and version unchanged)
 *      COMMIT
 *
 *  kb_search (any member of staff): entries by business line and cause
 *  (exact) and words — each word found in the entry (ILIKE: Chinese has no
 *  spaces to split on, a substring is the honest match) or the words as an
 *  English full-text query (stemmed: "charged" finds "charges"); ranked by
 *  pg_trgm's word_similarity and ts_rank.
 *
 *  The staff view's suggestions (case_view.c, computed when read rather
 *  than stored when routed: the router writes none of intake's tables, and
 *  an entry promoted after the assignment shows up too): up to
 *  CASE_KB_SUGGESTIONS entries of the case's business line, the same cause
 *  first, then by trigram similarity to the case's text.
 *
 *  Interface:
 *      case_kb_promote / case_kb_search   run one request; the reply is packed
 *      case_kb_suggest_pack               the staff view's "suggestions" array
 */
#ifndef CASE_KB_H_INCLUDED
#define CASE_KB_H_INCLUDED

#include "case_view.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

#define CASE_KB_SUGGESTIONS 3
#define CASE_KB_MAX_CHARS   4000    /* kb_entry.summary, answer */

int case_kb_promote (pg_session_t *pg, const case_view_cfg_t *cfg, const kb_promote_t *req,
                     msgpack_sbuffer *reply);
int case_kb_search (pg_session_t *pg, const kb_search_t *req, msgpack_sbuffer *reply);
/* Packs an array (empty when the store failed: a suggestion is a help,
 * never a reason to refuse the view). */
void case_kb_suggest_pack (msgpack_packer *pk, pg_session_t *pg, const char *complaint_id);

#endif
