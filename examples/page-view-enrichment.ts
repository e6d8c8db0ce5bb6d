/**
 * Page-view enrichment (a stream-table join) with samsa/streams: page views (key: user id, value:
 * JSON {"page": ...}) from --views are joined with the user profiles table (key: user id, value:
 * JSON {"name": ..., "region": ...}) from --users; each view with a known user is written to
 * --output as JSON {"page", "user", "region"}, and the views per region are counted into
 * --region-counts (value: the count as a decimal string).
 *
 *   node dist/examples/page-view-enrichment.js --bootstrap-server localhost:9092 \
 *     --views page-views --users user-profiles --output enriched-views --region-counts views-per-region
 */
import { Serdes, StreamsBuilder, type Topology } from '../src/streams/index.js';
import { fail, isMain, runExample } from './run-app.js';

export interface PageView {
  page: string;
}
export interface UserProfile {
  name: string;
  region: string;
}
export interface EnrichedView {
  page: string;
  user: string;
  region: string;
}

export function enrichmentTopology(t: { views: string; users: string; output: string; regionCounts: string }): Topology {
  const builder = new StreamsBuilder();
  const users = builder.table<string, UserProfile>(t.users, { keySerde: Serdes.String(), valueSerde: Serdes.Json<UserProfile>(), storeName: 'user-profiles' });
  const enriched = builder
    .stream<string, PageView>(t.views, { keySerde: Serdes.String(), valueSerde: Serdes.Json<PageView>() })
    .join(users, (view, user): EnrichedView => ({ page: view.page, user: user.name, region: user.region }));
  enriched.to(t.output, { valueSerde: Serdes.Json<EnrichedView>() });
  enriched
    .groupBy((_user, view) => view.region, { name: 'views-by-region', keySerde: Serdes.String(), valueSerde: Serdes.Json<EnrichedView>() })
    .count({ storeName: 'region-counts' })
    .toStream()
    .mapValues((n) => String(n))
    .to(t.regionCounts, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return builder.build();
}

if (isMain(import.meta.url)) {
  runExample('page-view-enrichment', { views: 'page-views', users: 'user-profiles', output: 'enriched-views', 'region-counts': 'views-per-region' }, (a) =>
    enrichmentTopology({ views: a.views ?? '', users: a.users ?? '', output: a.output ?? '', regionCounts: a['region-counts'] ?? '' }),
  ).catch(fail('page-view-enrichment'));
}
