-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AdminRole" AS ENUM ('OWNER', 'ADMIN', 'READ_ONLY');

-- CreateEnum
CREATE TYPE "PolicyKind" AS ENUM ('PROFILE', 'COMMAND');

-- CreateEnum
CREATE TYPE "ChallengeType" AS ENUM ('STATIC', 'DYNAMIC', 'TOKEN', 'NDES');

-- CreateEnum
CREATE TYPE "EnrollmentType" AS ENUM ('OTA', 'USER_ENROLLMENT', 'DEVICE_ENROLLMENT');

-- CreateEnum
CREATE TYPE "DeviceStatus" AS ENUM ('PENDING', 'ENROLLED', 'MANAGED', 'UNENROLLED');

-- CreateEnum
CREATE TYPE "AccessTokenKind" AS ENUM ('ACCESS', 'REFRESH', 'AUTH_CODE');

-- CreateEnum
CREATE TYPE "CommandStatus" AS ENUM ('QUEUED', 'SENT', 'ACKNOWLEDGED', 'ERROR', 'NOT_NOW', 'FORMAT_ERROR');

-- CreateEnum
CREATE TYPE "Outcome" AS ENUM ('OK', 'WARNING', 'ERROR');

-- CreateTable
CREATE TABLE "Organization" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "ServerKey" (
    "name" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "certPem" TEXT,
    "publicPem" TEXT NOT NULL,
    "encryptedKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServerKey_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Admin" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "passwordHash" TEXT,
    "role" "AdminRole" NOT NULL DEFAULT 'ADMIN',
    "idpSubject" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMP(3),

    CONSTRAINT "Admin_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "role" "AdminRole" NOT NULL DEFAULT 'ADMIN',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" TEXT NOT NULL,
    "time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "detail" TEXT,
    "remoteAddr" TEXT,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeviceGroup" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Policy" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" "PolicyKind" NOT NULL,
    "name" TEXT NOT NULL,
    "requestType" TEXT,
    "payload" TEXT NOT NULL,
    "profileIdentifier" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Policy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScepProfile" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "challengeType" "ChallengeType" NOT NULL,
    "staticChallengeEnc" TEXT,
    "ndesUsername" TEXT,
    "ndesPasswordHash" TEXT,
    "subjectTemplate" TEXT NOT NULL DEFAULT 'CN=$UDID',
    "keySize" INTEGER NOT NULL DEFAULT 2048,
    "keyUsage" INTEGER NOT NULL DEFAULT 5,
    "validityDays" INTEGER NOT NULL DEFAULT 365,
    "renewalWindowDays" INTEGER NOT NULL DEFAULT 30,
    "nonExportable" BOOLEAN NOT NULL DEFAULT true,
    "allowAllAppsAccess" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScepProfile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScepChallenge" (
    "id" TEXT NOT NULL,
    "profileId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "tokenId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "ScepChallenge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Certificate" (
    "serial" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "der" BYTEA NOT NULL,
    "profileId" TEXT,
    "deviceId" TEXT,
    "renewedFromSerial" TEXT,
    "revokedAt" TIMESTAMP(3),
    "revocationReason" TEXT,
    "issuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("serial")
);

-- CreateTable
CREATE TABLE "EnrollmentToken" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "groupId" TEXT,
    "scepProfileId" TEXT,
    "maxUses" INTEGER NOT NULL DEFAULT 0,
    "useCount" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EnrollmentToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Device" (
    "id" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "udid" TEXT,
    "enrollmentId" TEXT,
    "serialNumber" TEXT,
    "model" TEXT,
    "modelName" TEXT,
    "productName" TEXT,
    "osVersion" TEXT,
    "buildVersion" TEXT,
    "deviceName" TEXT,
    "platform" TEXT,
    "enrollmentType" "EnrollmentType" NOT NULL DEFAULT 'OTA',
    "status" "DeviceStatus" NOT NULL DEFAULT 'PENDING',
    "groupId" TEXT,
    "tokenId" TEXT,
    "userId" TEXT,
    "pushToken" TEXT,
    "pushMagic" TEXT,
    "topic" TEXT,
    "unlockTokenEnc" TEXT,
    "bootstrapTokenEnc" TEXT,
    "certSerial" TEXT,
    "info" TEXT,
    "installedProfiles" TEXT,
    "lastSeenAt" TIMESTAMP(3),
    "enrolledAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Device_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "managedAppleId" TEXT,
    "idpSubject" TEXT,
    "displayName" TEXT,
    "tokensRevokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessToken" (
    "id" TEXT NOT NULL,
    "kind" "AccessTokenKind" NOT NULL,
    "hash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "familyId" TEXT,
    "clientId" TEXT,
    "scope" TEXT,
    "codeChallenge" TEXT,
    "redirectUri" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccessToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuthFlow" (
    "id" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "userIdentifier" TEXT,
    "version" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuthFlow_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AddeRoute" (
    "id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "domain" TEXT NOT NULL,
    "userMatch" TEXT,
    "modelFamily" TEXT,
    "version" TEXT NOT NULL,
    "baseUrl" TEXT,
    "groupId" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AddeRoute_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Command" (
    "id" TEXT NOT NULL,
    "uuid" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "requestType" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" "CommandStatus" NOT NULL DEFAULT 'QUEUED',
    "policyId" TEXT,
    "result" TEXT,
    "errorChain" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "Command_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EnrollmentLog" (
    "id" TEXT NOT NULL,
    "time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "step" TEXT NOT NULL,
    "outcome" "Outcome" NOT NULL,
    "reason" TEXT,
    "message" TEXT NOT NULL,
    "tokenId" TEXT,
    "deviceIdentifier" TEXT,
    "userIdentifier" TEXT,
    "remoteAddr" TEXT,

    CONSTRAINT "EnrollmentLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Admin_email_key" ON "Admin"("email");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_prefix_key" ON "ApiKey"("prefix");

-- CreateIndex
CREATE INDEX "AuditLog_time_idx" ON "AuditLog"("time");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceGroup_name_key" ON "DeviceGroup"("name");

-- CreateIndex
CREATE INDEX "Policy_groupId_position_idx" ON "Policy"("groupId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "ScepProfile_name_key" ON "ScepProfile"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ScepChallenge_hash_key" ON "ScepChallenge"("hash");

-- CreateIndex
CREATE INDEX "ScepChallenge_profileId_usedAt_expiresAt_idx" ON "ScepChallenge"("profileId", "usedAt", "expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_fingerprint_key" ON "Certificate"("fingerprint");

-- CreateIndex
CREATE INDEX "Certificate_deviceId_idx" ON "Certificate"("deviceId");

-- CreateIndex
CREATE INDEX "Certificate_notAfter_idx" ON "Certificate"("notAfter");

-- CreateIndex
CREATE UNIQUE INDEX "Device_identifier_key" ON "Device"("identifier");

-- CreateIndex
CREATE INDEX "Device_status_idx" ON "Device"("status");

-- CreateIndex
CREATE INDEX "Device_groupId_idx" ON "Device"("groupId");

-- CreateIndex
CREATE INDEX "Device_lastSeenAt_idx" ON "Device"("lastSeenAt");

-- CreateIndex
CREATE INDEX "Device_serialNumber_idx" ON "Device"("serialNumber");

-- CreateIndex
CREATE UNIQUE INDEX "User_identifier_key" ON "User"("identifier");

-- CreateIndex
CREATE UNIQUE INDEX "AccessToken_hash_key" ON "AccessToken"("hash");

-- CreateIndex
CREATE INDEX "AccessToken_userId_idx" ON "AccessToken"("userId");

-- CreateIndex
CREATE INDEX "AccessToken_familyId_idx" ON "AccessToken"("familyId");

-- CreateIndex
CREATE UNIQUE INDEX "AuthFlow_stateHash_key" ON "AuthFlow"("stateHash");

-- CreateIndex
CREATE INDEX "AddeRoute_position_idx" ON "AddeRoute"("position");

-- CreateIndex
CREATE UNIQUE INDEX "Command_uuid_key" ON "Command"("uuid");

-- CreateIndex
CREATE INDEX "Command_deviceId_status_createdAt_idx" ON "Command"("deviceId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "EnrollmentLog_time_idx" ON "EnrollmentLog"("time");

-- CreateIndex
CREATE INDEX "EnrollmentLog_outcome_time_idx" ON "EnrollmentLog"("outcome", "time");

-- CreateIndex
CREATE INDEX "EnrollmentLog_step_time_idx" ON "EnrollmentLog"("step", "time");

-- CreateIndex
CREATE INDEX "EnrollmentLog_deviceIdentifier_time_idx" ON "EnrollmentLog"("deviceIdentifier", "time");

-- CreateIndex
CREATE INDEX "EnrollmentLog_tokenId_time_idx" ON "EnrollmentLog"("tokenId", "time");

-- AddForeignKey
ALTER TABLE "Policy" ADD CONSTRAINT "Policy_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScepChallenge" ADD CONSTRAINT "ScepChallenge_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "ScepProfile"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "ScepProfile"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EnrollmentToken" ADD CONSTRAINT "EnrollmentToken_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EnrollmentToken" ADD CONSTRAINT "EnrollmentToken_scepProfileId_fkey" FOREIGN KEY ("scepProfileId") REFERENCES "ScepProfile"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DeviceGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "EnrollmentToken"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccessToken" ADD CONSTRAINT "AccessToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Command" ADD CONSTRAINT "Command_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Command" ADD CONSTRAINT "Command_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "Policy"("id") ON DELETE SET NULL ON UPDATE CASCADE;
