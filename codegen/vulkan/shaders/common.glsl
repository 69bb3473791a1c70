// common.glsl - helpers every shader may use.

const float ATTNC_NEG_INF = -1.0 / 0.0;

// Workgroups beyond 65535 continue in gl_WorkGroupID.y.
uint attncGroupIndex() {
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}
