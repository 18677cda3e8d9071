/*  task_show.h — the tasks (协办) and rectification items (整改) of a case
 *  in `complaintctl show` (issue 16; docs/tasks.md).
 *
 *      tasks (2):
 *        #7  task  card_center  open  due 2026-12-18 24:00 +08:00  given by li.na
 *            asked: 请核对该卡 11 月的交易流水
 *        #8  task  ebanking  done  due ...  answered by wu.gang 2026-12-17 10:00 +08:00
 *            asked: ...
 *            reply: ...
 *  Times in the bank's zone with the zone written (ctl_format_*). The
 *  asked and reply texts are staff text from the staff view only.
 */
#ifndef TASK_SHOW_H_INCLUDED
#define TASK_SHOW_H_INCLUDED

#include <jansson.h>

void task_show_print (const json_t *tasks);

#endif
