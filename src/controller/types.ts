// The fields of keyferry's resources the controller reads (DESIGN §1; ESO names).
import type { KubeObject } from '../kube/kube-object.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface StoreCondition {
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  namespaceRegexes?: string[];
}

export interface StoreSpec {
  provider?: Record<string, unknown>;
  rateLimit?: { requestsPerSecond?: number; burst?: number; maxConcurrent?: number };
  refreshInterval?: string;
  conditions?: StoreCondition[];
}

export interface StoreResource extends KubeObject {
  spec?: StoreSpec;
  status?: { conditions?: Condition[]; warnings?: string[] };
}

export interface RemoteRefSpec {
  key?: string;
  property?: string;
  version?: string;
  decodingStrategy?: 'None' | 'Base64' | 'Base64URL' | 'Auto';
}

export interface DataFromSpec {
  extract?: RemoteRefSpec;
  find?: { name?: { regexp?: string }; tags?: Record<string, string>; path?: string; decodingStrategy?: RemoteRefSpec['decodingStrategy'] };
  rewrite?: Array<{ regexp?: { source: string; target: string } }>;
}

export interface ExternalSecretSpec {
  secretStoreRef?: { name?: string; kind?: 'SecretStore' | 'ClusterSecretStore'; namespace?: string };
  refreshInterval?: string;
  refreshPolicy?: 'Periodic' | 'OnChange' | 'CreatedOnce';
  data?: Array<{ secretKey?: string; remoteRef?: RemoteRefSpec }>;
  dataFrom?: DataFromSpec[];
  target?: {
    name?: string;
    creationPolicy?: 'Owner' | 'Orphan';
    deletionPolicy?: 'Retain' | 'Delete';
    template?: {
      type?: string;
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      data?: Record<string, string>;
    };
    versioning?: { retain?: number; minRetention?: string; maxAge?: string };
  };
}

export interface VersionStatus {
  name: string;
  hash: string;
  createdAt: string;
  remoteVersions?: Record<string, string>;
}

export interface ExternalSecretStatus {
  conditions?: Condition[];
  refreshTime?: string;
  syncedGeneration?: number;
  currentSecretName?: string;
  versions?: VersionStatus[];
  expiresAt?: string;
}

export interface ExternalSecretResource extends KubeObject {
  spec?: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}
