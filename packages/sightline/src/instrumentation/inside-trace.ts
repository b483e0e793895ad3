// Client instrumentations (databases, caches) make spans only inside a trace: with no recording span
// active there is nothing to hang a child on, and a root span per query or command (a queue's
// polling, a warm-up at start) would only be noise.
import { context, trace } from '@opentelemetry/api';

export function insideRecordingSpan(): boolean {
  return trace.getSpan(context.active())?.isRecording() === true;
}
