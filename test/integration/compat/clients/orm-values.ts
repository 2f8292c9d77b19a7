// Row 1's values as an application hands them to an ORM model: json as objects (the ORM
// serialises them), the rest as in driver-schema.ts.
import { TYPED_ROW } from '../workload.js';
import { TYPED_PARAMS } from './driver-schema.js';

export const ORM_ROW = { ...TYPED_PARAMS, j: TYPED_ROW.j, jb: TYPED_ROW.jb };
